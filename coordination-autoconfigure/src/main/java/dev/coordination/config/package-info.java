/**
 * Configuration from etcd: {@code spring.config.import=etcd:}.
 */
@NullMarked
package dev.coordination.config;

import org.jspecify.annotations.NullMarked;
