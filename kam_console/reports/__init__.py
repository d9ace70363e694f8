"""Monthly reports: frozen figures, their lifecycle and printouts (DESIGN §6)."""
