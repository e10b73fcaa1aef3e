#!/usr/bin/env bash
# Starts a throwaway Spark Connect server on loopback for the engine tests
# and exports CHURNLAB_TEST_SPARK (its sc:// URL), CHURNLAB_TEST_SPARK_UI
# (Spark's REST API) and CHURNLAB_REQUIRE_SPARK. Source it. It installs
# what it needs first: PyPI's pyspark (pinned; it ships the Spark Connect
# server jar) into scripts/.spark-venv, Debian's OpenJDK 17 when no Java 17
# is present, and Debian's protobuf-compiler (the Spark client's build needs
# protoc). The server runs with --master local-cluster[2,1,1024]: two
# executor JVMs of one core and 1 GiB each, so the work is distributed. It
# is stopped, and its files removed, when the calling shell exits.
#   source scripts/spark.sh
SPARK_PYSPARK_VERSION=4.2.1
SPARK_VENV="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.spark-venv"

spark_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "spark.sh: installing Debian's $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
    else
        echo "spark.sh: please install $* (apt-get install $*)" >&2
        return 1
    fi
}

command -v protoc >/dev/null || spark_apt protobuf-compiler || { return 1 2>/dev/null || exit 1; }
SPARK_JAVA_HOME="$(ls -d /usr/lib/jvm/java-17-openjdk-* 2>/dev/null | head -n 1)"
if [ -z "$SPARK_JAVA_HOME" ]; then
    spark_apt openjdk-17-jre-headless || { return 1 2>/dev/null || exit 1; }
    SPARK_JAVA_HOME="$(ls -d /usr/lib/jvm/java-17-openjdk-* | head -n 1)"
fi
if ! "$SPARK_VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$SPARK_PYSPARK_VERSION')" 2>/dev/null; then
    echo "spark.sh: installing pyspark==$SPARK_PYSPARK_VERSION into $SPARK_VENV" >&2
    python3 -m venv "$SPARK_VENV" && "$SPARK_VENV/bin/pip" install -q "pyspark==$SPARK_PYSPARK_VERSION" \
        || { echo "spark.sh: cannot install pyspark" >&2; return 1 2>/dev/null || exit 1; }
fi
export SPARK_HOME
SPARK_HOME="$("$SPARK_VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
SPARK_DIR="$(mktemp -d /tmp/churnlab-spark.XXXXXX)"
spark_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SPARK_PORT="$(spark_port)"
SPARK_UI_PORT="$(spark_port)"
JAVA_HOME="$SPARK_JAVA_HOME" SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$SPARK_DIR" \
    setsid "$SPARK_HOME/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --name churnlab-test --master 'local-cluster[2,1,1024]' \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf spark.connect.grpc.binding.port="$SPARK_PORT" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.ui.port="$SPARK_UI_PORT" --conf spark.port.maxRetries=0 \
    --conf spark.sql.shuffle.partitions=4 \
    --conf spark.local.dir="$SPARK_DIR" \
    --conf spark.driver.memory=1g \
    spark-internal >"$SPARK_DIR/server.log" 2>&1 &
SPARK_PID=$!
stop_spark() {
    kill -- -"$SPARK_PID" 2>/dev/null || kill "$SPARK_PID" 2>/dev/null || true
    wait "$SPARK_PID" 2>/dev/null || true
    rm -rf "$SPARK_DIR"
}
# Chain with a trap set before (postgres.sh's), so both servers stop.
SPARK_PREV_TRAP="$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT$//")"
trap "stop_spark; $SPARK_PREV_TRAP" EXIT
# Ready when the server has started and both executors have registered.
for _ in $(seq 180); do
    if grep -q "Spark Connect server started" "$SPARK_DIR/server.log" 2>/dev/null \
        && [ "$(grep -c 'Registered executor' "$SPARK_DIR/server.log")" -ge 2 ]; then
        break
    fi
    if ! kill -0 "$SPARK_PID" 2>/dev/null; then
        echo "spark.sh: the Spark Connect server stopped; its log:" >&2
        tail -n 30 "$SPARK_DIR/server.log" >&2
        return 1 2>/dev/null || exit 1
    fi
    sleep 1
done
grep -q "Spark Connect server started" "$SPARK_DIR/server.log" \
    || { echo "spark.sh: the server did not start in 180 s" >&2; return 1 2>/dev/null || exit 1; }
export CHURNLAB_TEST_SPARK="sc://127.0.0.1:$SPARK_PORT"
export CHURNLAB_TEST_SPARK_UI="http://127.0.0.1:$SPARK_UI_PORT"
export CHURNLAB_REQUIRE_SPARK=1
echo "spark.sh: Spark $SPARK_PYSPARK_VERSION Connect on 127.0.0.1:$SPARK_PORT (2 executors), UI on $SPARK_UI_PORT" >&2
