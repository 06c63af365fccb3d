/**
 * Health indicator of the coordination session.
 */
package dev.coordination.session.health;
