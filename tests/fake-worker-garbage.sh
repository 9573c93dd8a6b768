#!/bin/sh
# A worker that breaks the protocol: it sends garbage on the socket.
printf 'this is not a message' >&3
sleep 5
