/**
 * Service discovery measurements: the cost of a lookup from the starter's watch-fed catalog
 * against a lookup that reads etcd every time (JMH), and the time from a registration's write
 * until a catalog shows it (a measurement of its own, not JMH).
 */
package dev.coordination.benchmarks.discovery;
