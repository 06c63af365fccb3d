/**
 * Micrometer metrics of the configuration from etcd.
 */
package dev.coordination.config.metrics;
