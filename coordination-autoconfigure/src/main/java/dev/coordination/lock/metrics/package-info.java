/**
 * Micrometer metrics and observations of distributed locks.
 */
package dev.coordination.lock.metrics;
