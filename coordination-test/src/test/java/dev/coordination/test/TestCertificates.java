package dev.coordination.test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away CA and a certificate for {@code 127.0.0.1}/{@code localhost}, usable by the server and
 * as a client certificate, as PEM files.
 *
 * @param caFile the CA certificate
 * @param certFile the server certificate
 * @param keyFile the server key (PKCS#8)
 */
public record TestCertificates(Path caFile, Path certFile, Path keyFile) {

	/**
	 * Generate the CA and the server certificate into a directory.
	 * @param directory where to write {@code ca.crt}, {@code server.crt} and {@code server.key}
	 * @return the files
	 * @throws Exception on failure
	 */
	public static TestCertificates generate(Path directory) throws Exception {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
		generator.initialize(256);
		KeyPair caKeys = generator.generateKeyPair();
		X500Name caName = new X500Name("CN=coordination-test-ca");
		X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, notBefore(), notAfter(),
				caName, caKeys.getPublic())
			.addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
			.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)), caKeys);
		KeyPair serverKeys = generator.generateKeyPair();
		X509Certificate server = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, notBefore(), notAfter(),
				new X500Name("CN=127.0.0.1"), serverKeys.getPublic())
			.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
			.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
			.addExtension(Extension.extendedKeyUsage, false,
					new ExtendedKeyUsage(new KeyPurposeId[] { KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth }))
			.addExtension(Extension.subjectAlternativeName, false,
					new GeneralNames(new GeneralName[] { new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
							new GeneralName(GeneralName.dNSName, "localhost") })),
				caKeys);
		TestCertificates files = new TestCertificates(directory.resolve("ca.crt"), directory.resolve("server.crt"),
				directory.resolve("server.key"));
		writePem(files.caFile(), "CERTIFICATE", ca.getEncoded());
		writePem(files.certFile(), "CERTIFICATE", server.getEncoded());
		writePem(files.keyFile(), "PRIVATE KEY", serverKeys.getPrivate().getEncoded());
		return files;
	}

	private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
			throws OperatorCreationException, GeneralSecurityException {
		return new JcaX509CertificateConverter()
			.getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
	}

	private static Date notBefore() {
		return Date.from(Instant.now().minus(Duration.ofHours(1)));
	}

	private static Date notAfter() {
		return Date.from(Instant.now().plus(Duration.ofDays(1)));
	}

	private static void writePem(Path file, String type, byte[] der) throws IOException {
		String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der);
		Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
	}

}
