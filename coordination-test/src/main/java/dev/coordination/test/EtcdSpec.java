package dev.coordination.test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What kind of etcd a test needs: how many members, TLS, extra command line arguments and whether an
 * external cluster is acceptable.
 * <p>
 * Immutable and thread-safe; build one with {@link #builder()}. A spec with more than one member or
 * with TLS requires a launched etcd: {@code ETCD_ENDPOINTS} is then ignored, because fault injection
 * and the TLS set-up need processes or containers this JVM controls.
 */
public final class EtcdSpec {

	private static final EtcdSpec DEFAULTS = builder().build();

	private final int members;

	private final Tls tls;

	private final List<String> args;

	private final boolean requireLaunched;

	private final boolean closedByOwner;

	private EtcdSpec(Builder builder) {
		this.members = builder.members;
		this.tls = builder.tls;
		this.args = List.copyOf(builder.args);
		this.requireLaunched = builder.requireLaunched;
		this.closedByOwner = builder.closedByOwner;
	}

	/**
	 * One member, plaintext, no extra arguments, an external cluster accepted.
	 * @return the default spec
	 */
	public static EtcdSpec defaults() {
		return DEFAULTS;
	}

	/**
	 * Start building a spec.
	 * @return a new builder with the defaults
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Number of members.
	 * @return the number of members, at least 1
	 */
	public int members() {
		return this.members;
	}

	/**
	 * TLS material for the client URLs.
	 * @return the TLS settings or {@code null} for plaintext
	 */
	public Tls tls() {
		return this.tls;
	}

	/**
	 * Extra command line arguments passed to every member.
	 * @return the arguments, never {@code null}
	 */
	public List<String> args() {
		return this.args;
	}

	/**
	 * Whether the cluster must be launched by this JVM (an external {@code ETCD_ENDPOINTS} cluster is
	 * not acceptable). True when asked for, and for more than one member or TLS.
	 * @return whether a launched etcd is required
	 */
	public boolean requiresLaunched() {
		return this.requireLaunched || this.members > 1 || this.tls != null;
	}

	/**
	 * Whether the cluster's owner (an application context) closes it on shutdown, so that the JVM
	 * shutdown hook of this library leaves it alone. The per-process watchdog still removes it when
	 * the JVM ends without closing it.
	 * @return whether the owner closes the cluster
	 */
	public boolean closedByOwner() {
		return this.closedByOwner;
	}

	@Override
	public String toString() {
		return "EtcdSpec[members=" + this.members + ", tls=" + (this.tls != null) + ", args=" + this.args
				+ ", requiresLaunched=" + requiresLaunched() + "]";
	}

	/**
	 * TLS material of the members' client URLs, as PEM files.
	 *
	 * @param certFile server certificate
	 * @param keyFile server private key
	 * @param trustedCaFile CA that signs client certificates, or {@code null}
	 * @param clientCertAuth whether clients must present a certificate signed by the trusted CA
	 */
	public record Tls(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth) {

		public Tls {
			Objects.requireNonNull(certFile, "certFile must not be null");
			Objects.requireNonNull(keyFile, "keyFile must not be null");
			if (clientCertAuth && trustedCaFile == null) {
				throw new IllegalArgumentException("clientCertAuth needs a trustedCaFile");
			}
		}

	}

	/**
	 * Builder of {@link EtcdSpec}. Not thread-safe.
	 */
	public static final class Builder {

		private int members = 1;

		private Tls tls;

		private final List<String> args = new ArrayList<>();

		private boolean closedByOwner;

		private boolean requireLaunched;

		private Builder() {
		}

		/**
		 * Number of members; more than one implies {@link #requireLaunched()}.
		 * @param members the number of members, at least 1
		 * @return this builder
		 */
		public Builder members(int members) {
			if (members < 1) {
				throw new IllegalArgumentException("members must be at least 1, was " + members);
			}
			this.members = members;
			return this;
		}

		/**
		 * Serve clients over TLS ({@code https://127.0.0.1:port}); implies {@link #requireLaunched()}.
		 * @param certFile server certificate (PEM), passed as {@code --cert-file}
		 * @param keyFile server private key (PEM), passed as {@code --key-file}
		 * @param trustedCaFile CA for client certificates (PEM), passed as {@code --trusted-ca-file}; may
		 * be {@code null} unless {@code clientCertAuth} is set
		 * @param clientCertAuth whether to pass {@code --client-cert-auth}
		 * @return this builder
		 */
		public Builder tls(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth) {
			this.tls = new Tls(certFile, keyFile, trustedCaFile, clientCertAuth);
			return this;
		}

		/**
		 * Extra command line arguments for every member, added after the generated ones.
		 * @param args the arguments, for example {@code "--auto-compaction-retention=1"}
		 * @return this builder
		 */
		public Builder args(String... args) {
			this.args.addAll(Arrays.asList(args));
			return this;
		}

		/**
		 * Require an etcd launched by this JVM, because the test injects faults: {@code ETCD_ENDPOINTS}
		 * is ignored.
		 * @return this builder
		 */
		public Builder requireLaunched() {
			this.requireLaunched = true;
			return this;
		}

		/**
		 * Leave closing the cluster at JVM shutdown to its owner: the application context whose
		 * shutdown hook closes it, with the applications that still use it. Without this, the JVM
		 * shutdown hook of this library stops etcd while the application still shuts down, and its
		 * last etcd calls wait for their timeouts. A JVM that ends without closing it still has it
		 * removed by the watchdog.
		 * @return this builder
		 */
		public Builder closedByOwner() {
			this.closedByOwner = true;
			return this;
		}

		/**
		 * Build the spec.
		 * @return the immutable spec
		 */
		public EtcdSpec build() {
			return new EtcdSpec(this);
		}

	}

}
