/**
 * The scale model of a fleet: many simulated instances (each a whole application context with its
 * own client, session, registration, catalog, configuration watch and election candidacy) in a few
 * JVMs against one etcd, and what they cost etcd and the JVM as the fleet grows (a measurement of
 * its own, not JMH).
 */
package dev.coordination.benchmarks.fleet;
