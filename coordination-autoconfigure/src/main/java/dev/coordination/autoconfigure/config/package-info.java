/**
 * Auto-configuration of configuration from etcd.
 */
package dev.coordination.autoconfigure.config;
