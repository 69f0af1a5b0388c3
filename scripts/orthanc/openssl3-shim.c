/*
 * Debian 12's Orthanc 1.10.1 serves HTTP through the system civetweb, which loads OpenSSL at run time by name
 * (dlopen "libssl.so", then dlsym of each function it uses). OpenSSL 3 no longer exports
 * SSL_get_peer_certificate (it became a macro for SSL_get1_peer_certificate), so civetweb gets a NULL pointer and
 * the first HTTPS request crashes Orthanc (segfault at address 0 in a civetweb-worker thread).
 *
 * This library is named libssl.so and found first through LD_LIBRARY_PATH (production profile only): it exports
 * the old name and links the real libssl.so.3 / libcrypto.so.3, where dlsym finds every other function.
 * Built by scripts/production.sh (ensure_orthanc_ssl_shim) into the cache folder.
 */
typedef struct ssl_st SSL;
typedef struct x509_st X509;

extern X509 *SSL_get1_peer_certificate(const SSL *s);

X509 *SSL_get_peer_certificate(const SSL *s) { return SSL_get1_peer_certificate(s); }
