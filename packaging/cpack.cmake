# A Debian package (cpack -G DEB, or `make deb`): the daemon, rtw-send, the
# built-in modules, the handler header and pkg-config file, the manual
# pages, the systemd units with their sysusers.d and tmpfiles.d snippets,
# and /etc/rtwebhookd/rtwebhookd.conf as a conffile. Build it from a tree
# configured with -DCMAKE_INSTALL_PREFIX=/usr (the daemon looks for its
# modules under the configured prefix). The maintainer scripts in
# packaging/debian create the user and directories and enable the units.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "rtwebhookd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "rtwebhookd maintainers <rtwebhookd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "receiver for Recall.ai real-time webhook events")
set(CPACK_PACKAGE_DESCRIPTION
    "rtwebhookd receives Recall.ai meeting-bot events (participants,\n\
transcripts) over HTTP, verifies them, stores them durably before\n\
answering and hands each to handler modules: files, SQLite, commands,\n\
HTTP, Redis Streams, NATS JetStream.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The maintainer scripts call these at install time.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd, init-system-helpers")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm;${PROJECT_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
