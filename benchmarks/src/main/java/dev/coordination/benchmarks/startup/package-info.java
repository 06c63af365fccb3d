/**
 * Start-up and shutdown cost of the starter: one web application started with and without it
 * (a measurement of its own, not JMH).
 */
package dev.coordination.benchmarks.startup;
