/**
 * Auto-configuration of the coordination starter, one sub-package per capability.
 */
@NullMarked
package dev.coordination.autoconfigure;

import org.jspecify.annotations.NullMarked;
