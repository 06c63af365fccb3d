/**
 * Leader election measurements: the cost of a {@code @LeaderOnly} call on the leader (JMH), and
 * the failover time between candidate JVMs (a measurement of its own, not JMH).
 */
package dev.coordination.benchmarks.election;
