/**
 * Spring Cloud Commons integration of service discovery.
 */
package dev.coordination.discovery.cloud;
