/**
 * Auto-configuration of Spring Integration over the starter's coordination.
 */
@NullMarked
package dev.coordination.autoconfigure.integration;

import org.jspecify.annotations.NullMarked;
