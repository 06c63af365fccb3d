/**
 * The Spring Cloud Commons integration of service discovery: internals, not API.
 */
@NullMarked
package dev.coordination.discovery.internal.cloud;

import org.jspecify.annotations.NullMarked;
