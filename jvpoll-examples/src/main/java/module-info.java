/** Example programs for jvpoll. */
module org.jvpoll.examples {
    requires org.jvpoll;

    exports org.jvpoll.examples;
}
