/**
 * Auto-configuration of the bridges to Spring Integration.
 */
@NullMarked
package dev.coordination.autoconfigure.integration;

import org.jspecify.annotations.NullMarked;
