-- One database per service (each service also creates its own if missing).
CREATE DATABASE cad110_intake;
CREATE DATABASE cad110_dispatch;
CREATE DATABASE cad110_records;
CREATE DATABASE cad110_statistics;
