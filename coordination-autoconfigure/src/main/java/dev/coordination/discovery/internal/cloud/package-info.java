/**
 * The Spring Cloud Commons integration of service discovery: internals, not API.
 */
package dev.coordination.discovery.internal.cloud;
