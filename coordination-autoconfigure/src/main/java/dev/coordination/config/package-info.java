/**
 * Configuration from etcd: {@code spring.config.import=etcd:}.
 */
package dev.coordination.config;
