/**
 * Distributed lock measurements: the cost of an uncontended acquisition against the raw floor and
 * the alternatives (JMH), of re-acquisition and same-JVM hand-off (JMH), and the contended
 * hand-off rate between JVMs (a measurement of its own, not JMH).
 */
package dev.coordination.benchmarks.lock;
