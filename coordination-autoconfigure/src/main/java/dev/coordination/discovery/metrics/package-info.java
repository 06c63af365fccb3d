/**
 * Micrometer metrics of service discovery.
 */
package dev.coordination.discovery.metrics;
