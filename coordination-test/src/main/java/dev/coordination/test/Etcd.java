package dev.coordination.test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

import org.testcontainers.DockerClientFactory;

/**
 * Starts a real etcd for tests and development; never a mock.
 * <p>
 * Where etcd comes from is decided in this order:
 * <ol>
 * <li>{@code ETCD_ENDPOINTS} (comma-separated client URLs) is set and the spec does not
 * {@linkplain EtcdSpec#requiresLaunched() require a launched etcd}: that external cluster is used as is,
 * and its members refuse fault injection;</li>
 * <li>an etcd binary, the system property {@code etcd.binary} or else the environment variable
 * {@code ETCD_BINARY} if set (it must be an executable file; {@code mvn verify -Detcd.binary=...} runs
 * a build's tests on another etcd version), or else {@code etcd} on the {@code PATH}: members run as
 * child processes of this JVM;</li>
 * <li>a Docker engine: members run in containers of {@code ETCD_IMAGE} (default
 * {@value EtcdContainer#DEFAULT_IMAGE}) through Testcontainers;</li>
 * <li>otherwise {@link IllegalStateException} saying how to get etcd.</li>
 * </ol>
 * The caller owns the returned cluster and closes it.
 */
public final class Etcd {

	static final String ENDPOINTS_ENV = "ETCD_ENDPOINTS";

	static final String BINARY_ENV = "ETCD_BINARY";

	static final String BINARY_PROPERTY = "etcd.binary";

	static final String IMAGE_ENV = "ETCD_IMAGE";

	static final String HOW_TO_GET_ETCD = "install etcd 3.4+ (Debian/Ubuntu: apt-get install etcd-server; "
			+ "macOS: brew install etcd), or set ETCD_BINARY (or -Detcd.binary) to an etcd binary, or ETCD_ENDPOINTS to a running "
			+ "cluster, or start Docker";

	private Etcd() {
	}

	/**
	 * Start a single-member etcd, or use {@code ETCD_ENDPOINTS}.
	 * @return the running cluster, to be closed by the caller
	 * @throws IllegalStateException if no etcd can be found or it does not start
	 */
	public static EtcdCluster start() {
		return start(EtcdSpec.defaults());
	}

	/**
	 * Start an etcd cluster as described by the spec.
	 * @param spec what is needed
	 * @return the running cluster, to be closed by the caller
	 * @throws IllegalStateException if no etcd can be found or it does not start
	 */
	public static EtcdCluster start(EtcdSpec spec) {
		Objects.requireNonNull(spec, "spec must not be null");
		Source source = resolve(spec, System.getenv(), System.getProperty(BINARY_PROPERTY), System.getenv("PATH"),
				() -> DockerClientFactory.instance().isDockerAvailable());
		return switch (source.kind()) {
			case EXTERNAL -> ExternalEtcdCluster.of(source.location());
			case LOCAL -> LocalEtcdCluster.start(Path.of(source.location()), spec);
			case DOCKER -> DockerEtcdCluster.start(source.location(), spec);
		};
	}

	/**
	 * Decide where etcd comes from. Reads nothing but its arguments and the file system.
	 * @param spec what is needed
	 * @param env the environment variables
	 * @param binaryProperty the system property {@code etcd.binary}, may be {@code null}
	 * @param path the {@code PATH}, may be {@code null}
	 * @param dockerAvailable asked only when no binary is found
	 * @return the source to start etcd from
	 * @throws IllegalStateException if {@code etcd.binary} or {@code ETCD_BINARY} is not an executable
	 * file or nothing is available
	 */
	static Source resolve(EtcdSpec spec, Map<String, String> env, String binaryProperty, String path,
			BooleanSupplier dockerAvailable) {
		String endpoints = env.get(ENDPOINTS_ENV);
		if (hasText(endpoints) && !spec.requiresLaunched()) {
			return new Source(Kind.EXTERNAL, endpoints.trim());
		}
		String binarySetting = hasText(binaryProperty) ? "system property " + BINARY_PROPERTY : BINARY_ENV;
		String binary = hasText(binaryProperty) ? binaryProperty : env.get(BINARY_ENV);
		if (hasText(binary)) {
			Path file = Path.of(binary.trim());
			if (!isExecutableFile(file)) {
				throw new IllegalStateException(binarySetting + "=" + binary + " is not an executable file: point it "
						+ "to an etcd binary, or unset it to use etcd from the PATH");
			}
			return new Source(Kind.LOCAL, file.toAbsolutePath().toString());
		}
		Path onPath = findOnPath("etcd", path);
		if (onPath != null) {
			return new Source(Kind.LOCAL, onPath.toString());
		}
		if (dockerAvailable.getAsBoolean()) {
			String image = env.get(IMAGE_ENV);
			return new Source(Kind.DOCKER, hasText(image) ? image.trim() : EtcdContainer.DEFAULT_IMAGE);
		}
		throw new IllegalStateException("No etcd found for " + spec + ": " + HOW_TO_GET_ETCD);
	}

	private static Path findOnPath(String name, String path) {
		if (!hasText(path)) {
			return null;
		}
		for (String directory : path.split(File.pathSeparator)) {
			if (!directory.isEmpty()) {
				Path candidate = Path.of(directory, name);
				if (isExecutableFile(candidate)) {
					return candidate.toAbsolutePath();
				}
			}
		}
		return null;
	}

	private static boolean isExecutableFile(Path file) {
		return Files.isRegularFile(file) && Files.isExecutable(file);
	}

	private static boolean hasText(String value) {
		return value != null && !value.isBlank();
	}

	/**
	 * Where etcd comes from.
	 *
	 * @param kind the kind of source
	 * @param location the endpoints, the binary or the image
	 */
	record Source(Kind kind, String location) {
	}

	/**
	 * Kinds of etcd sources, in resolution order.
	 */
	enum Kind {

		EXTERNAL, LOCAL, DOCKER

	}

}
