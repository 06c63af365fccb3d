/**
 * A Spring Boot application that shows the coordination capabilities, run as several instances.
 */
package dev.coordination.sample;
