/**
 * Spring Boot integration that points the coordination starter at an etcd started for tests or development.
 */
package dev.coordination.test.spring;
