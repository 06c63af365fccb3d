/**
 * Auto-configuration of the coordination starter, one sub-package per capability.
 */
package dev.coordination.autoconfigure;
