/**
 * Auto-configuration of distributed locks.
 */
package dev.coordination.autoconfigure.lock;
