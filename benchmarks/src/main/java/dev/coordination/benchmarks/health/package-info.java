/**
 * Health probe measurements: how long the starter's {@code etcd} health indicator takes to answer
 * with etcd up and paused, against a status check made on every call (a measurement of its own,
 * not JMH).
 */
package dev.coordination.benchmarks.health;
