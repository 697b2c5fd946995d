"""What MariaDB and MySQL guests share: files, process, os_admin, SQL."""
