package dev.heartbeats.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

/**
 * A certificate authority made at test time, and certificates it signs, written as the files the servers and clients
 * take: PEM (PostgreSQL, Kafka's PEM truststores) and PKCS12 stores with a random password. Nothing is committed: every
 * run has new keys.
 */
public final class TestCertificates {
    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final SecureRandom random = new SecureRandom();

    private TestCertificates(Path dir) throws Exception {
        this.dir = dir;
        this.caKeys = keyPair();
        this.ca = sign(new X500Name("CN=heartbeats test CA " + UUID.randomUUID()), caKeys, null, true);
    }

    /** A new CA whose files go to {@code dir}. */
    public static TestCertificates create(Path dir) {
        try {
            Files.createDirectories(dir);
            return new TestCertificates(dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make test certificates", e);
        }
    }

    /** The CA's certificate, PEM. */
    public Path caCertificate() {
        return write("ca.crt", pem("CERTIFICATE", encoded(ca)));
    }

    /** A certificate and key for a server reachable as {@code localhost} and {@code 127.0.0.1}. */
    public Issued server(String name) {
        return issue(name, "localhost", true);
    }

    /** A client certificate (mutual TLS) with the common name {@code name}. */
    public Issued client(String name) {
        return issue(name, name, false);
    }

    /** A PKCS12 truststore holding the CA, protected by {@code password}. */
    public Path truststore(String name, String password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("ca", ca);
            Path p = dir.resolve(name + ".p12");
            try (OutputStream out = Files.newOutputStream(p)) {
                ks.store(out, password.toCharArray());
            }
            return p;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the CA issued: PEM certificate and key files, and a PKCS12 keystore of both with its password. */
    public record Issued(Path certificate, Path key, Path keystore, String keystorePassword) {}

    private Issued issue(String name, String cn, boolean server) {
        try {
            KeyPair keys = keyPair();
            X509Certificate cert = sign(new X500Name("CN=" + cn), keys, server ? cn : null, false);
            Path certFile = write(name + ".crt", pem("CERTIFICATE", encoded(cert)) + pem("CERTIFICATE", encoded(ca)));
            Path keyFile = write(name + ".key", pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
            // PostgreSQL refuses a key file others may read.
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            String password = "ks-" + UUID.randomUUID();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(name, keys.getPrivate(), password.toCharArray(), new Certificate[] {cert, ca});
            Path keystore = dir.resolve(name + ".p12");
            try (OutputStream out = Files.newOutputStream(keystore)) {
                ks.store(out, password.toCharArray());
            }
            return new Issued(certFile, keyFile, keystore, password);
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue a certificate for " + name, e);
        }
    }

    private X509Certificate sign(X500Name subject, KeyPair keys, String dnsName, boolean isCa) throws Exception {
        Instant now = Instant.now();
        X500Name issuer = isCa ? subject : new X500Name(ca.getSubjectX500Principal().getName());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, random).abs().add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (dnsName != null) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, dnsName), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            }
        }
        PrivateKey signer = isCa ? keys.getPrivate() : caKeys.getPrivate();
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer)));
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
