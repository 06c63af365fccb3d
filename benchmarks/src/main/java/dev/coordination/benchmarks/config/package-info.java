/**
 * Configuration measurements: the time from a write under {@code /config/{application}/} until
 * the application's {@code Environment} has it, through the starter's watch of
 * {@code spring.config.import=etcd:} against a loader that polls etcd every second (a measurement
 * of its own, not JMH).
 */
package dev.coordination.benchmarks.config;
