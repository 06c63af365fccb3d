package dev.coordination.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link Etcd#resolve}: where etcd comes from.
 */
class EtcdResolutionTests {

	private static final BooleanSupplier NO_DOCKER = () -> false;

	private static final BooleanSupplier DOCKER = () -> true;

	private static final BooleanSupplier DOCKER_MUST_NOT_BE_ASKED = () -> {
		throw new AssertionError("Docker must not be asked");
	};

	@TempDir
	Path temp;

	@Test
	void endpointsWithoutLaunchRequirementUseTheExternalCluster() throws IOException {
		Path bin = executable("etcd");
		Etcd.Source source = Etcd.resolve(EtcdSpec.defaults(),
				Map.of("ETCD_ENDPOINTS", " http://10.0.0.1:2379,http://10.0.0.2:2379 "), null, bin.getParent().toString(),
				DOCKER_MUST_NOT_BE_ASKED);
		assertThat(source).isEqualTo(new Etcd.Source(Etcd.Kind.EXTERNAL, "http://10.0.0.1:2379,http://10.0.0.2:2379"));
	}

	@Test
	void endpointsAreIgnoredWhenTheSpecRequiresALaunchedEtcd() throws IOException {
		Path bin = executable("etcd");
		Map<String, String> env = Map.of("ETCD_ENDPOINTS", "http://10.0.0.1:2379");
		String path = bin.getParent().toString();
		Etcd.Source local = new Etcd.Source(Etcd.Kind.LOCAL, bin.toString());
		assertThat(Etcd.resolve(EtcdSpec.builder().requireLaunched().build(), env, null, path, NO_DOCKER)).isEqualTo(local);
		assertThat(Etcd.resolve(EtcdSpec.builder().members(3).build(), env, null, path, NO_DOCKER)).isEqualTo(local);
		assertThat(Etcd.resolve(EtcdSpec.builder().tls(bin, bin, null, false).build(), env, null, path, NO_DOCKER))
			.isEqualTo(local);
	}

	@Test
	void blankEndpointsAreIgnored() throws IOException {
		Path bin = executable("etcd");
		assertThat(Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_ENDPOINTS", "  "), null, bin.getParent().toString(),
				NO_DOCKER))
			.isEqualTo(new Etcd.Source(Etcd.Kind.LOCAL, bin.toString()));
	}

	@Test
	void etcdBinaryWinsOverThePath() throws IOException {
		Path onPath = executable("etcd");
		Path configured = executable("custom/etcd-3.4");
		assertThat(Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_BINARY", configured.toString()), null,
				onPath.getParent().toString(), DOCKER_MUST_NOT_BE_ASKED))
			.isEqualTo(new Etcd.Source(Etcd.Kind.LOCAL, configured.toString()));
	}

	@Test
	void etcdBinaryPropertyWinsOverTheEnvironment() throws IOException {
		Path fromEnv = executable("env/etcd");
		Path fromProperty = executable("property/etcd");
		assertThat(Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_BINARY", fromEnv.toString()), fromProperty.toString(),
				null, DOCKER_MUST_NOT_BE_ASKED))
			.isEqualTo(new Etcd.Source(Etcd.Kind.LOCAL, fromProperty.toString()));
	}

	@Test
	void etcdBinaryPropertyPointingToAMissingFileFailsNamingTheProperty() {
		Path missing = this.temp.resolve("no-such-etcd");
		assertThatIllegalStateException()
			.isThrownBy(() -> Etcd.resolve(EtcdSpec.defaults(), Map.of(), missing.toString(), null, DOCKER))
			.withMessageContaining("system property etcd.binary=" + missing)
			.withMessageContaining("is not an executable file");
	}

	@Test
	void etcdBinaryPointingToAMissingFileFails() {
		Path missing = this.temp.resolve("no-such-etcd");
		assertThatIllegalStateException()
			.isThrownBy(() -> Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_BINARY", missing.toString()), null, null,
					DOCKER))
			.withMessageContaining("ETCD_BINARY=" + missing)
			.withMessageContaining("is not an executable file");
	}

	@Test
	void etcdBinaryPointingToANonExecutableFileFails() throws IOException {
		Path plain = Files.writeString(this.temp.resolve("etcd"), "not a program");
		assertThatIllegalStateException()
			.isThrownBy(() -> Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_BINARY", plain.toString()), null, null, DOCKER))
			.withMessageContaining("ETCD_BINARY=" + plain);
	}

	@Test
	void etcdIsFoundOnThePathSkippingDirectoriesWithoutIt() throws IOException {
		Path empty = Files.createDirectories(this.temp.resolve("empty"));
		Files.writeString(Files.createDirectories(this.temp.resolve("plain")).resolve("etcd"), "not executable");
		Path bin = executable("bin/etcd");
		String path = String.join(":", empty.toString(), "", this.temp.resolve("plain").toString(),
				this.temp.resolve("missing").toString(), bin.getParent().toString());
		assertThat(Etcd.resolve(EtcdSpec.defaults(), Map.of(), null, path, DOCKER_MUST_NOT_BE_ASKED))
			.isEqualTo(new Etcd.Source(Etcd.Kind.LOCAL, bin.toString()));
	}

	@Test
	void dockerIsUsedWithTheDefaultImageWhenNoBinaryIsFound() {
		assertThat(Etcd.resolve(EtcdSpec.builder().members(3).build(), Map.of(), null, this.temp.toString(), DOCKER))
			.isEqualTo(new Etcd.Source(Etcd.Kind.DOCKER, "quay.io/coreos/etcd:v3.5.17"));
	}

	@Test
	void dockerUsesEtcdImage() {
		assertThat(Etcd.resolve(EtcdSpec.defaults(), Map.of("ETCD_IMAGE", "gcr.io/etcd-development/etcd:v3.5.21"), null,
				null, DOCKER))
			.isEqualTo(new Etcd.Source(Etcd.Kind.DOCKER, "gcr.io/etcd-development/etcd:v3.5.21"));
	}

	@Test
	void nothingAvailableFailsSayingHowToGetEtcd() {
		assertThatIllegalStateException()
			.isThrownBy(() -> Etcd.resolve(EtcdSpec.defaults(), Map.of(), null, this.temp.toString(), NO_DOCKER))
			.withMessageContaining("install etcd 3.4+ (Debian/Ubuntu: apt-get install etcd-server; "
					+ "macOS: brew install etcd), or set ETCD_BINARY (or -Detcd.binary) to an etcd binary, "
					+ "or ETCD_ENDPOINTS to a running cluster, or start Docker");
	}

	@Test
	void specDefaultsToOneMemberAndAcceptsAnExternalCluster() {
		EtcdSpec spec = EtcdSpec.defaults();
		assertThat(spec.members()).isOne();
		assertThat(spec.tls()).isNull();
		assertThat(spec.args()).isEmpty();
		assertThat(spec.requiresLaunched()).isFalse();
	}

	@Test
	void specWithSeveralMembersOrTlsRequiresALaunchedEtcd() {
		Path file = this.temp.resolve("x.pem");
		assertThat(EtcdSpec.builder().members(2).build().requiresLaunched()).isTrue();
		assertThat(EtcdSpec.builder().tls(file, file, null, false).build().requiresLaunched()).isTrue();
		assertThat(EtcdSpec.builder().requireLaunched().build().requiresLaunched()).isTrue();
		assertThat(EtcdSpec.builder().args("--a", "--b").args("--c").build().args())
			.containsExactly("--a", "--b", "--c");
	}

	@Test
	void specRejectsInvalidValues() {
		Path file = this.temp.resolve("x.pem");
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdSpec.builder().members(0));
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdSpec.builder().tls(file, file, null, true))
			.withMessageContaining("trustedCaFile");
	}

	private Path executable(String relative) throws IOException {
		Path file = this.temp.resolve(relative);
		Files.createDirectories(file.getParent());
		Files.writeString(file, "#!/bin/sh\n");
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
		return file.toAbsolutePath();
	}

}
