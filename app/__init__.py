"""FieldLog: what OSCE field operations do about migration, logged and compared."""
