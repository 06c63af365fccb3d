/**
 * Micrometer metrics of the coordination session.
 */
package dev.coordination.session.metrics;
