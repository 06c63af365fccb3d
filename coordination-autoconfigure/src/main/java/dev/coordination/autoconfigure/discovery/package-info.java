/**
 * Auto-configuration of service discovery.
 */
package dev.coordination.autoconfigure.discovery;
