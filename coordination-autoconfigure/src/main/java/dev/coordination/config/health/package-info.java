/**
 * Health of the configuration from etcd.
 */
package dev.coordination.config.health;
