/**
 * JMH benchmarks against a launched etcd, and the runner that starts etcd, runs them and prints
 * the results table.
 */
package dev.coordination.benchmarks;
