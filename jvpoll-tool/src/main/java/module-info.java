/**
 * The jvpoll command-line tool ({@code info}, {@code demo}, {@code serve}): reports and serves
 * what the library's API does not expose, through the internals {@code org.jvpoll} exports to
 * this module only. Exports nothing.
 */
module org.jvpoll.tool {
    requires org.jvpoll;
}
