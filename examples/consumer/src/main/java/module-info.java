/** A jvpoll user: on the module path it reads module org.jvpoll; on the class path this file is ignored. */
module org.example.consumer {
    requires org.jvpoll;
}
