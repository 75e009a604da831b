/**
 * Who may do what over the network: the one decision the admin API and the live view's control channel share
 * ({@link io.raftline.security.AdminAccess}), and the checks every HTTP listener makes before routing
 * ({@link io.raftline.security.RequestGuard}: the {@code Host} a client names, the {@code Origin} of a
 * state-changing request). The threat model is in docs/security.md.
 */
package io.raftline.security;
