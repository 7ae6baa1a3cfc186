// Package deploy holds fresco's deployment files, which its tests check:
// fresco.service, a hardened systemd unit, and cloud-init.yaml, the
// user-data of an arm64 Graviton instance that installs a release and
// starts the unit (docs/deploy.md).
package deploy
