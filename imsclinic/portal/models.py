"""The patient portal keeps no tables of its own: it shows the patient's records from other areas."""
