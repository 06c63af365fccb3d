/**
 * Health of service discovery.
 */
package dev.coordination.discovery.health;
