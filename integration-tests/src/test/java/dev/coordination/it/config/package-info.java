/**
 * Configuration from etcd against a real etcd.
 */
package dev.coordination.it.config;
