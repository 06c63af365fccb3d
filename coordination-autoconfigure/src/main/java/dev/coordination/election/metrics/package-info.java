/**
 * Micrometer metrics of leader elections.
 */
package dev.coordination.election.metrics;
