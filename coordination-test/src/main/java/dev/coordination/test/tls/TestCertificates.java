package dev.coordination.test.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority generated for a test, and the server and client certificates it signs,
 * written as PEM files (EC P-256, PKCS#8 keys) that etcd and Spring Boot SSL bundles read.
 * <p>
 * Server certificates name {@code 127.0.0.1} and {@code localhost} (and any extra DNS names), so
 * they fit a launched etcd: {@code EtcdSpec.builder().tls(server.certificate(), server.privateKey(),
 * ca.caCertificate(), true)}. Certificates are valid from an hour ago for one day.
 */
public final class TestCertificates {

	private static final AtomicLong serial = new AtomicLong(System.currentTimeMillis());

	private final Path directory;

	private final KeyPair caKeys;

	private final X509CertificateHolder ca;

	private final Path caCertificate;

	private TestCertificates(Path directory, KeyPair caKeys, X509CertificateHolder ca, String name) {
		this.directory = directory;
		this.caKeys = caKeys;
		this.ca = ca;
		this.caCertificate = write(name + ".crt", ca);
	}

	/**
	 * Generate a self-signed CA and write its certificate to {@code directory/<name>.crt}.
	 * @param directory where this CA writes its files
	 * @param name the CA's common name and file name
	 * @return the CA
	 */
	public static TestCertificates authority(Path directory, String name) {
		KeyPair keys = keyPair();
		X500Name subject = new X500Name("CN=" + name);
		X509CertificateHolder ca = sign(subject, keys, subject, keys.getPrivate(), true, null, null);
		return new TestCertificates(directory, keys, ca, name);
	}

	/**
	 * The CA certificate file, for a trust store or etcd's {@code --trusted-ca-file}.
	 * @return the PEM file
	 */
	public Path caCertificate() {
		return this.caCertificate;
	}

	/**
	 * Issue a server certificate for {@code 127.0.0.1}, {@code localhost} and {@code dnsNames}:
	 * {@code <name>.crt} and {@code <name>.key}.
	 * @param name the common name and file name
	 * @param dnsNames further host names the certificate is valid for
	 * @return the files
	 */
	public Issued server(String name, String... dnsNames) {
		GeneralName[] names = new GeneralName[dnsNames.length + 2];
		names[0] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
		names[1] = new GeneralName(GeneralName.dNSName, "localhost");
		for (int i = 0; i < dnsNames.length; i++) {
			names[i + 2] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
		}
		return issue(name, new GeneralNames(names), KeyPurposeId.id_kp_serverAuth);
	}

	/**
	 * Issue a client certificate whose common name is {@code name}: {@code <name>.crt} and
	 * {@code <name>.key}.
	 * @param name the common name (the etcd user with {@code --client-cert-auth}) and file name
	 * @return the files
	 */
	public Issued client(String name) {
		return issue(name, null, KeyPurposeId.id_kp_clientAuth);
	}

	private Issued issue(String name, GeneralNames subjectAlternativeNames, KeyPurposeId purpose) {
		KeyPair keys = keyPair();
		X509CertificateHolder certificate = sign(new X500Name("CN=" + name), keys, this.ca.getSubject(),
				this.caKeys.getPrivate(), false, subjectAlternativeNames, purpose);
		Path certificateFile = write(name + ".crt", certificate);
		Path keyFile = write(name + ".key", keys.getPrivate());
		return new Issued(certificateFile, keyFile);
	}

	private static X509CertificateHolder sign(X500Name subject, KeyPair keys, X500Name issuer, PrivateKey issuerKey,
			boolean ca, GeneralNames subjectAlternativeNames, KeyPurposeId purpose) {
		try {
			Instant now = Instant.now();
			JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
					BigInteger.valueOf(serial.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
					Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
			builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
			if (ca) {
				builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
			}
			else {
				builder.addExtension(Extension.keyUsage, true,
						new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
				builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
			}
			if (subjectAlternativeNames != null) {
				builder.addExtension(Extension.subjectAlternativeName, false, subjectAlternativeNames);
			}
			return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey));
		}
		catch (IOException | OperatorCreationException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static KeyPair keyPair() {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
			generator.initialize(new ECGenParameterSpec("secp256r1"));
			return generator.generateKeyPair();
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private Path write(String fileName, Object pem) {
		try {
			StringWriter text = new StringWriter();
			try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
				writer.writeObject((pem instanceof PrivateKey key) ? new JcaPKCS8Generator(key, null) : pem);
			}
			return Files.writeString(this.directory.resolve(fileName), text.toString());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Files of an issued certificate.
	 * @param certificate the PEM certificate
	 * @param privateKey the PEM private key (PKCS#8)
	 */
	public record Issued(Path certificate, Path privateKey) {
	}

}
