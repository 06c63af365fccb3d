/**
 * Health of leader elections.
 */
package dev.coordination.election.health;
