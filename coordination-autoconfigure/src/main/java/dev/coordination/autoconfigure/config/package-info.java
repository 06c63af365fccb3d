/**
 * Auto-configuration of configuration from etcd.
 */
@NullMarked
package dev.coordination.autoconfigure.config;

import org.jspecify.annotations.NullMarked;
