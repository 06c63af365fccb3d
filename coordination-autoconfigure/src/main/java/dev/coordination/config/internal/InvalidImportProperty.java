package dev.coordination.config.internal;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * A bad {@code coordination.*} property found while resolving {@code spring.config.import=etcd:},
 * kept in the bootstrap context to fail start-up once logging is set up: configuration data is
 * loaded before, and a failure reported then comes in Logback's default format instead of the
 * application's.
 *
 * @param failure the failure, naming the property and what is valid
 */
public record InvalidImportProperty(InvalidConfigurationPropertyValueException failure) {

}
