/**
 * The command line, and nothing else: {@link io.raftline.app.Main} runs the picocli command tree (the local cluster
 * by default; {@code local}, {@code node}, {@code bench}, {@code verify}, {@code help}), whose commands start what
 * {@code io.raftline.server} and {@code io.raftline.verify} provide. Nothing imports this package.
 */
package io.raftline.app;
